@spec.status_codes.http @spec.status_codes.ocpi
Feature: HTTP status and OCPI status code tell the same story
  A request that is valid and allowed succeeds with HTTP 200 and status_code 1000. A refusal is
  never dressed up as a success: an HTTP error never carries a 1xxx code and a 1xxx code never
  answers a request that had to be refused.

  @id.transport.success-is-1000 @shall @role.any
  Scenario: A valid versions request gets HTTP 200 and status_code 1000
    Given the harness holds a token the target issued
    When the harness sends GET to the versions endpoint with its current token
    And the harness sends GET to the version details endpoint with its current token
    Then every response is a success
    And every response has consistent HTTP and OCPI status codes

  @id.transport.refusal-is-not-success @shall @role.any
  Scenario: A refused request never carries a success status_code
    Given the target's endpoints are known
    When the harness sends GET to every GET endpoint with an unknown token
    Then no response carries a success status_code
    And every response has consistent HTTP and OCPI status codes
