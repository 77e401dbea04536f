@spec.transport_and_format.message_routing @spec.mod_bookings.sender @checklist.BK-06 @version.2.3.0
Feature: A hub routes a CPO's decision on a Booking to the eMSP that requested it
  An eMSP POSTs a BookingRequest to the CPO's Sender and is answered with a Booking, often PENDING;
  the CPO later pushes its decision to that eMSP. A hub that relayed the answer knows the eMSP, so the
  decision can follow without OCPI-to-*, and the eMSP finds the Booking in the hub's list.

  @id.bookings.booking-answer-routed @should @role.hub
  Scenario: The CPO's PATCH of a Booking it answered through the hub reaches the eMSP that asked
    Given the harness plays an eMSP towards the target's bookings Sender
    When the harness's eMSP identity requests a booking from its CPO identity through the hub
    And the harness's CPO identity PATCHes that Booking to RESERVED, naming no receiver
    Then the PATCH reaches the harness's eMSP identity, and the hub lists the Booking to it
