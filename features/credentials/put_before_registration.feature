@spec.credentials.errors @checklist.T-14
Feature: An update before registration is refused with 405
  Only a registered party can update its registration. A PUT made with the registration token A,
  before any POST, must be refused with HTTP 405.

  @id.credentials.put-before-registration-405 @shall @role.any @phase.before_registration
  Scenario: PUT credentials with token A gets HTTP 405
    Given the harness holds an unused registration token A
    When the harness sends PUT to the credentials endpoint with token A
    Then every response is HTTP 405 Method Not Allowed
