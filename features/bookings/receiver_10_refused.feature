@spec.mod_bookings.receiver @checklist.BK-18 @version.2.3.0
Feature: A Bookings 1.0 body is refused, not taken as 1.1
  Bookings 1.0 and 1.1 share the version number and the module id, and 1.1 renamed or moved many
  fields (bookable_parking_options, bookable, tariff_id, a top-level evse_uid). A 1.0 BookingLocation
  also reads as a 1.1 one with unknown fields, so a 1.1 Receiver that takes it loses what it says.

  @id.bookings.receiver-10-refused @should @role.any
  Scenario: A BookingLocation in the 1.0 form is refused with 2001
    Given the harness plays a CPO towards the target's bookings Receiver
    When the harness PUTs a new BookingLocation in the Bookings 1.0 form
    Then the PUT is refused with status_code 2001 and a GET finds no such BookingLocation
