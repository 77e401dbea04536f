@spec.mod_cdrs.receiver @checklist.C-02
Feature: A stored CDR is never changed
  CDRs are final: OCPI has no PUT or PATCH for them and corrections are credit CDRs with a new id.
  A second POST with the id of a stored CDR must not change it (refusing it is the plain answer).

  @id.cdrs.receiver-not-overwritten @shall @role.any
  Scenario: A second POST of the same CDR id leaves the stored CDR as it was
    Given the harness plays a CPO towards the target's cdrs Receiver
    When the harness POSTs a new CDR under its own party id
    And the harness POSTs the same CDR id again with other values
    Then the stored CDR is still the first one
