@spec.transport_and_format.client_owned_objects @checklist.T-08 @checklist.K-06
Feature: A Token PATCH without last_updated is refused
  The last_updated rule of every PATCH, judged on the Tokens Receiver (where an eMSP blocks or
  invalidates tokens by PATCH).

  @id.tokens.receiver-patch-needs-last-updated @shall @role.any
  Scenario: A Token PATCH without last_updated is refused and changes nothing
    Given the harness plays an eMSP towards the target's tokens Receiver
    When the harness PUTs a new Token under its own party id
    And the harness PATCHes the Token without last_updated
    Then the PATCH is refused with status_code 2001 and the stored Token is unchanged
