@spec.transport_and_format.client_owned_objects @checklist.T-08
Feature: A PATCH without last_updated is refused
  Every PATCH of a client-owned object carries last_updated; a Receiver that merged one without it
  would lose track of which version it holds. The rule is one for every module; the harness judges
  it on the Locations Receiver.

  @id.locations.receiver-patch-needs-last-updated @shall @role.any
  Scenario: A Location PATCH without last_updated is refused and changes nothing
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location under its own party id
    And the harness PATCHes the Location without last_updated
    Then the PATCH is refused with status_code 2001 and the stored Location is unchanged
