@spec.transport_and_format.unknown_fields @spec.types.open_enums @checklist.T-07
Feature: Values of open enumerations the specification does not list are accepted
  Several enumerations are open: ConnectorType, Capability, Facility, ParkingType and others may
  gain values in later versions or by agreement. A Receiver takes an object carrying such a value
  and keeps it as sent; refusing it, as code generated with closed enumerations does, breaks
  interoperability with every partner that uses a newer value.

  @id.locations.receiver-open-enum-values-accepted @shall @role.any
  Scenario: A Location with unlisted open-enumeration values is stored as sent
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location with values of open enumerations the specification does not list
    Then the target accepts the write
    And a GET of the Location returns what was PUT, last_updated included
