@spec.transport_and_format.authorization @spec.credentials.registration
Feature: The target's own requests carry the token base64-encoded
  The rule on the Authorization header binds the target as a client too: when it calls the
  harness it must send "Token " followed by the base64 encoding of token B.

  @id.credentials.callback-token-encoding @shall @role.any @phase.registration
  Scenario: Callbacks during registration present token B in base64
    Given the harness was given a registration token A
    When the harness registers with token A
    Then every callback the target made carried the harness's token base64-encoded
