@spec.credentials.unregister
Feature: The token of an unregistered party is refused
  After a DELETE both sides stop automated communication. The specification does not say so in
  as many words, but a token that keeps working after unregistration lets the ex-partner keep
  calling, so the harness expects it to be refused (SHOULD level).

  @id.credentials.deleted-token-retired @should @role.any @phase.unregistration
  Scenario: After DELETE the former token C gets HTTP 401
    Given the harness may change its registration
    And the harness has unregistered
    When the harness sends GET to the versions endpoint with its deleted credentials token
    Then every response refuses the token
