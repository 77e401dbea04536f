@spec.mod_bookings.sender @spec.openapi @checklist.BK-02 @checklist.BK-03 @version.2.3.0
Feature: The Bookings Sender serves BookingLocations and Calendars that match the data model
  An eMSP pulls a CPO's bookable capacity from {url}/booking_locations (paged), one BookingLocation
  at {url}/booking_locations/{id} and one Calendar at {url}/booking_locations/{id}/{calendar_id}.
  The harness reads as its eMSP identity (its CPO identity first publishes one, when it may write).

  @id.bookings.sender-booking-locations @shall @role.any
  Scenario: The list, one BookingLocation and one Calendar match openapi.yaml
    Given the harness plays an eMSP towards the target's bookings Sender
    And the harness's CPO identity has published a BookingLocation with one Calendar through the target
    When the harness reads the BookingLocations list, then one BookingLocation and one of its Calendars alone
    Then each answer matches openapi.yaml, and each single object is the one listed
