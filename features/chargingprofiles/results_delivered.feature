@spec.mod_chargingprofiles.receiver @spec.transport_and_format.message_routing @checklist.P-01 @checklist.P-02 @checklist.P-03
Feature: The results of charging-profile requests reach their response_urls
  After an ACCEPTED ChargingProfileResponse the result (ActiveChargingProfileResult,
  ChargingProfileResult, ClearProfileResult) is POSTed to the request's response_url. Against a
  hub the harness's CPO identity posts each to the URL the hub gave it, and the hub delivers it.

  @id.chargingprofiles.results-delivered @shall @role.cpo @role.hub
  Scenario: Each result arrives at the eMSP's response_url
    Given the harness plays an eMSP towards the target's chargingprofiles Receiver
    When the harness as eMSP asks for the active profile, sets a profile and clears it, each with its own response_url
    Then each result arrives at its response_url within the announced timeout
