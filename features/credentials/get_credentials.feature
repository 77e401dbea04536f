@spec.credentials.get @spec.credentials.object
Feature: GET credentials returns the target's credentials for the caller
  A registered party can read back the credentials the target holds for it: the target's versions
  URL, its roles and the token the caller uses.

  @id.credentials.get @shall @role.any
  Scenario: GET credentials with token C returns a well-formed Credentials object
    Given the harness is registered with the target
    When the harness sends GET to the credentials endpoint with its credentials token
    Then every response is a success with an object
    And the target's credentials are well formed
