@spec.transport_and_format.authorization @checklist.T-02
Feature: A request without a credentials token is refused
  The Authorization header is the only way a platform learns who is calling. A request that has
  none must be turned away with HTTP 401, on every endpoint, before anything else is looked at.

  @id.transport.missing-token @shall @role.any
  Scenario: GET without an Authorization header gets HTTP 401 on every endpoint
    Given the target's endpoints are known
    When the harness sends GET to every GET endpoint without a token
    Then every response is HTTP 401 Unauthorized
