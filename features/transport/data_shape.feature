@spec.transport_and_format.response_format @spec.openapi
Feature: data holds what the operation answers: one object, or a list
  A list endpoint answers a list in data; a single Location, an AuthorizationInfo, a CommandResponse
  or a Credentials object is one object, never a list of one. This scenario judges the shape of
  every successful answer the run received, once per operation; the other scenarios read an object
  wrapped in a one-element list as that object (and say so among what they checked), so that they
  judge their own rule on its content.

  @id.transport.data-shape @shall @role.any @phase.end
  Scenario: Every successful answer of the run carries data of its operation's shape
    Given the harness holds a token the target issued
    When the harness sends GET to every GET endpoint with its current token
    And the harness takes every successful answer the run received
    Then every answer's data has the shape openapi.yaml gives its operation
