@spec.credentials.registration @spec.transport_and_format.authorization
Feature: Token A stops working once the registration is done
  Token A is a one-time key for the handshake. The specification words its end from the side of
  the party that registered: once it holds token C it may no longer use token A. It does not oblige
  the platform that issued token A to refuse it afterwards, so a token A that keeps working is
  reported as a warning (a key that outlives its purpose), not as a failure.

  @id.credentials.token-a-retired @should @role.any
  Scenario: After registration token A gets HTTP 401 on versions and credentials
    Given the harness registered itself with token A
    When the harness sends GET to the versions endpoint with token A
    And the harness sends GET to the credentials endpoint with token A
    Then every response refuses the token
