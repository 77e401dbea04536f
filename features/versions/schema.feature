@spec.openapi @spec.version_information_endpoint.versions @spec.version_information_endpoint.details
Feature: Version responses match openapi.yaml
  The harness validates the versions list and the details of the version under test against the project's description of that
  description: required fields, types, lengths and enumerations.

  @id.versions.schema @shall @role.any
  Scenario: Versions list and 2.3.0 details validate against openapi.yaml
    Given the harness holds a token the target issued
    When the harness sends GET to the versions endpoint with its current token
    And the harness sends GET to the version details endpoint with its current token
    Then every response matches openapi.yaml
