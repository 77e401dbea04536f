@spec.credentials.errors @checklist.T-14
Feature: A second registration is refused with 405
  A party that is already registered updates its registration with PUT; a POST from it must be
  refused with HTTP 405 Method Not Allowed.

  @id.credentials.post-when-registered-405 @shall @role.any
  Scenario: POST credentials with token C gets HTTP 405
    Given the harness is registered with the target
    When the harness POSTs its credentials again with its credentials token
    Then every response is HTTP 405 Method Not Allowed
