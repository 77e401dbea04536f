@spec.mod_bookings.receiver @checklist.BK-10 @version.2.3.0
Feature: A BookingLocation pushed to the Bookings Receiver is stored as sent
  A CPO PUTs its BookingLocations, with their Calendars of free timeslots, to
  {url}/{country_code}/{party_id}/booking_locations/{booking_location_id}; the BookingLocation and
  each Calendar (one segment deeper) are served back. The harness plays a CPO under its own party id.

  @id.bookings.receiver-put-get @shall @role.any
  Scenario: A new BookingLocation PUT is returned unchanged by GET, and so is its Calendar
    Given the harness plays a CPO towards the target's bookings Receiver
    When the harness PUTs a new BookingLocation with one Calendar under its own party id
    Then the target accepts the write
    And a GET of the BookingLocation and of its Calendar returns what was PUT, last_updated included
