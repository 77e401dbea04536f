@spec.mod_chargingprofiles.receiver @spec.openapi @checklist.P-01 @checklist.P-02 @checklist.P-03
Feature: Charging-profile requests are answered at once with a ChargingProfileResponse
  GET (the active profile), PUT (SetChargingProfile) and DELETE (clear the profile) are each
  answered straight away with a ChargingProfileResponse (result, timeout); the outcome comes later
  to the response_url. Against a hub the requests go to the harness's own CPO identity.

  @id.chargingprofiles.responses @shall @role.cpo @role.hub
  Scenario: GET, PUT and DELETE are each answered with a ChargingProfileResponse
    Given the harness plays an eMSP towards the target's chargingprofiles Receiver
    When the harness as eMSP asks for the active profile, sets a profile and clears it, each with its own response_url
    Then every answer is a ChargingProfileResponse that matches openapi.yaml
