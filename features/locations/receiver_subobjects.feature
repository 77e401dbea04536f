@spec.mod_locations.receiver @checklist.L-02
Feature: An EVSE and a connector can be pushed on their own
  Besides whole Locations, a CPO pushes a single EVSE to {url}/{country_code}/{party_id}/{location_id}/{evse_uid}
  and a single connector one level deeper. The Receiver keeps each as sent and serves it back at
  the same URL.

  @id.locations.receiver-evse-connector-put @shall @role.any
  Scenario: An EVSE and a connector PUT on their own are served back as sent
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location under its own party id
    And the harness PUTs a new EVSE into that Location, then a new connector into that EVSE
    Then a GET of the EVSE and of the connector returns what was PUT
