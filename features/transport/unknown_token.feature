@spec.transport_and_format.authorization @checklist.T-02
Feature: A request with an unknown credentials token is refused
  A token that belongs to no known party identifies nobody, so the request must be refused with
  HTTP 401 rather than served or answered with an OCPI error code under HTTP 200.

  @id.transport.unknown-token @shall @role.any
  Scenario: GET with a token the target never issued gets HTTP 401 on every endpoint
    Given the target's endpoints are known
    When the harness sends GET to every GET endpoint with an unknown token
    Then every response is HTTP 401 Unauthorized
