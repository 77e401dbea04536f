@spec.status_codes.ocpi @spec.transport_and_format.message_routing @checklist.T-12
Feature: A request to a party the hub does not know is answered 4001
  A hub answers a request whose OCPI-to-* names no party it knows with its own error, status_code
  4001 (unknown receiver), never with a success: the request went nowhere. Which HTTP status goes
  with a hub error is left open, so only the envelope is judged. The harness's eMSP identity asks
  for a list of a party that is not among those the hub says it reaches; nothing is written.

  @id.routing.unknown-receiver-4001 @shall @role.hub
  Scenario: A GET addressed to an unknown party gets status_code 4001
    Given the harness plays an eMSP towards the target's locations Sender
    When the harness GETs the list addressed to a party the hub does not know
    Then the hub answers with status_code 4001
