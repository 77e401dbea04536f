@spec.credentials.registration @spec.transport_and_format.authorization
Feature: Token A stops working once the registration is done
  Token A is a one-time key. After the handshake the registering party uses token C, and token A
  must no longer open anything.

  @id.credentials.token-a-retired @shall @role.any
  Scenario: After registration token A gets HTTP 401 on versions and credentials
    Given the harness registered itself with token A
    When the harness sends GET to the versions endpoint with token A
    And the harness sends GET to the credentials endpoint with token A
    Then every response is HTTP 401 Unauthorized
