@spec.transport_and_format.unique_message_ids @checklist.T-04
Feature: The response repeats the request's X-Request-ID
  Every request carries a unique X-Request-ID and its response must carry the same value, so the
  two can be matched in logs on both sides.

  @id.transport.request-id-echo @shall @role.any
  Scenario: X-Request-ID comes back unchanged
    Given the harness holds a token the target issued
    When the harness sends GET to every GET endpoint with its current token
    Then every response carries the request's X-Request-ID
