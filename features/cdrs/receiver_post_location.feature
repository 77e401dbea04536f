@spec.mod_cdrs.receiver @checklist.C-01
Feature: A CDR POST is answered with where the CDR now lives
  A CPO POSTs each CDR to the Receiver's URL; the answer carries a Location header with the URL of
  the stored CDR, and a GET there returns it.

  @id.cdrs.receiver-post-location @shall @role.any
  Scenario: The Location header of a CDR POST leads to the same CDR
    Given the harness plays a CPO towards the target's cdrs Receiver
    When the harness POSTs a new CDR under its own party id
    Then the answer carries a Location header whose GET returns the same CDR
