@spec.mod_commands.receiver @checklist.M-03
Feature: A command about an unknown Location is rejected with 2003
  A CPO that does not know the location_id of a command answers status_code 2003 (unknown
  location) with a CommandResponse REJECTED, as the spec's sequence diagram shows.

  @id.commands.unknown-location-2003 @should @role.cpo
  Scenario: START_SESSION at an unknown Location
    Given the harness plays an eMSP towards the target's commands Receiver
    When the harness as eMSP sends a command about a Location the target does not know
    Then the answer is status_code 2003 with a CommandResponse REJECTED
