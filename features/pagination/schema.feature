@spec.openapi @spec.transport_and_format.pagination
Feature: List pages match the description of the version under test
  The harness validates the first page of every advertised Sender list against the project's
  description of that module's objects in the version under test (openapi.yaml for 2.3.0,
  openapi-2.2.1.yaml for 2.2.1, whose enumerations are closed).

  @id.pagination.schema @shall @role.any
  Scenario: The first page of every Sender list validates against openapi.yaml
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness sends GET to every paginated Sender endpoint with its credentials token
    Then every response matches openapi.yaml
