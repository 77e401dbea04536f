@spec.credentials.errors @checklist.T-14
Feature: Unregistering before registration is refused with 405
  There is nothing to delete for a party that never registered. A DELETE made with the
  registration token A must be refused with HTTP 405.

  @id.credentials.delete-before-registration-405 @shall @role.any @phase.before_registration
  Scenario: DELETE credentials with token A gets HTTP 405
    Given the harness holds an unused registration token A
    When the harness sends DELETE to the credentials endpoint with token A
    Then every response is HTTP 405 Method Not Allowed
