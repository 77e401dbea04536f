@spec.transport_and_format.response_format @checklist.T-01
Feature: Every response body is an OCPI envelope
  Successful or not, each answer is a JSON object with an integer status_code of four digits, a
  timestamp and optionally a status_message, declared as application/json. Refusals are judged on
  every method and interface the run used: the harness's own GETs without a token, and every error
  answer the other scenarios received (an authorization POST, a PUT, a PATCH), one per method,
  endpoint and status.

  @id.transport.envelope-success @shall @role.any
  Scenario: Successful answers are wrapped in the envelope
    Given the harness holds a token the target issued
    When the harness sends GET to every GET endpoint with its current token
    Then every response is an OCPI envelope declared as JSON

  @id.transport.envelope-error @shall @role.any @phase.end
  Scenario: Refusals are wrapped in the envelope too
    Given the target's endpoints are known
    When the harness sends GET to every GET endpoint without a token
    And the harness takes every error answer the run received, whatever the method and interface
    Then every response is an OCPI envelope declared as JSON
