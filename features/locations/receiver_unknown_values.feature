@spec.transport_and_format.unknown_fields @spec.types.open_enums @checklist.T-07 @version.2.3.0
Feature: Fields and open-enumeration values the specification does not define are accepted
  Platforms may add fields of their own, and several enumerations are open: ConnectorType,
  Capability, Facility, ParkingType and others may gain values in later versions or by agreement.
  A Receiver takes an object carrying either (it need not keep unknown fields) and keeps the values
  as sent; refusing them, as decoders that forbid unknown fields or code generated with closed
  enumerations do, breaks interoperability with every partner that uses a newer version.

  @id.locations.receiver-unknown-values-accepted @shall @role.any
  Scenario: A Location with unknown fields and unlisted open-enumeration values is stored as sent
    Given the harness plays a CPO towards the target's locations Receiver
    When the harness PUTs a new Location with fields and open-enumeration values the specification does not define
    Then the target accepts the write
    And a GET of the Location returns what was PUT, last_updated included
