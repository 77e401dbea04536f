@spec.status_codes.http @spec.transport_and_format.response_format @checklist.T-03
Feature: A body that is not JSON gets an OCPI client error
  If a request body cannot be parsed as JSON the platform answers HTTP 400 with an OCPI envelope
  carrying a 2xxx status code: not a crash, not a bare web-server page.

  @id.transport.malformed-json @shall @role.any
  Scenario: PUT with a broken JSON body is answered with HTTP 400 and status 2xxx
    Given the harness is registered with the target
    When the harness sends PUT to the credentials endpoint with a body that is not JSON
    Then the response is HTTP 400 with an OCPI client error
