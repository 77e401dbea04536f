@spec.mod_bookings.sender @checklist.BK-02 @version.2.3.0
Feature: The BookingLocations list keeps only the timeslots the eMSP asked about
  timeslot_from (inclusive) and timeslot_to (exclusive) bound the available timeslots the
  BookingLocations list shows. The harness's CPO identity publishes a Calendar of three free hours;
  its eMSP identity asks for the middle one.

  @id.bookings.sender-timeslot-filter @shall @role.any
  Scenario: Every timeslot listed lies within timeslot_from and timeslot_to
    Given the harness plays an eMSP towards the target's bookings Sender
    And the harness's CPO identity has published a BookingLocation with one Calendar through the target
    When the harness reads the BookingLocations list with timeslot_from and timeslot_to around one free timeslot
    Then every Calendar listed keeps only available timeslots within that window
