@spec.credentials.update
Feature: Updating the registration rotates the token
  A PUT of new credentials (with a new token B') makes the target fetch the party's versions and
  details again with that token and answer with a newly issued token for the party.

  @id.credentials.put-rotation @shall @role.any
  Scenario: PUT credentials re-fetches the harness's endpoints and issues a new token that works
    Given the harness is registered with the target
    And the harness may change its registration
    When the harness updates its credentials with a new token
    Then the update is accepted
    And the target issued a token different from the previous one
    And while the request was open the target fetched the harness's versions and version details with the token it was given
    And the new credentials token opens the versions endpoint
