@spec.mod_locations.receiver @checklist.L-03
Feature: A change to an EVSE moves its Location's last_updated
  When an EVSE or connector changes, the Location that holds it takes the same last_updated, so that
  a partner pulling with date_from finds the Location again.

  @id.locations.receiver-evse-change-bumps-location @shall @role.any
  Scenario: After an EVSE PATCH the Location carries the EVSE's last_updated
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location under its own party id
    And the harness PATCHes the status of one of the Location's EVSEs with a newer last_updated
    Then the Location's last_updated is the EVSE's new last_updated
