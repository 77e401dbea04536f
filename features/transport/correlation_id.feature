@spec.transport_and_format.unique_message_ids @checklist.T-04
Feature: The response repeats the request's X-Correlation-ID
  The correlation id ties together every message of one exchange, across hubs, and each response
  must carry the value of its request.

  @id.transport.correlation-id-echo @shall @role.any
  Scenario: X-Correlation-ID comes back unchanged
    Given the harness holds a token the target issued
    When the harness sends GET to every GET endpoint with its current token
    Then every response carries the request's X-Correlation-ID
