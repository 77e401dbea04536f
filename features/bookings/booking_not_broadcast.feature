@spec.transport_and_format.message_routing @checklist.BK-17 @version.2.3.0
Feature: A hub never broadcasts a Booking
  A Booking is one eMSP's: the one whose request it answers. Broadcasting is for data meant for
  every party (BookingLocations), not for a Booking. The harness's CPO identity pushes a Booking of
  an eMSP that cannot exist (country ZZ) without OCPI-to-*.

  @id.bookings.booking-not-broadcast @should @role.hub
  Scenario: A Booking of another eMSP does not reach the harness's eMSP identity
    Given the harness plays a CPO towards the target's bookings Receiver
    When the harness PUTs a new Booking for an eMSP other than its own, naming no receiver
    Then the Booking reaches none of the harness's other identities
