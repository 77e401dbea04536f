@spec.openapi @spec.credentials.object
Feature: Credentials responses match the description of the version under test
  The harness validates the target's credentials answers against the project's description of
  the version under test: token length and characters, URL, roles, business details.

  @id.credentials.schema @shall @role.any
  Scenario: The credentials GET, registration and update answers validate against openapi.yaml
    Given the harness is registered with the target
    When the harness sends GET to the credentials endpoint with its credentials token
    And the harness takes the answers to its own registration and update in this run
    Then every response matches openapi.yaml
