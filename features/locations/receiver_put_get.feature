@spec.mod_locations.receiver @checklist.L-02
Feature: A Location pushed to the Receiver is stored as sent
  A CPO pushes its Locations with PUT to {url}/{country_code}/{party_id}/{location_id}; the
  Receiver keeps the object as sent, last_updated included, and serves it back on GET at the same
  URL. The harness plays a CPO and writes only under its own party id.

  @id.locations.receiver-put-get @shall @role.any
  Scenario: A new Location PUT is returned unchanged by GET
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location under its own party id
    Then the target accepts the write
    And a GET of the Location returns what was PUT, last_updated included
