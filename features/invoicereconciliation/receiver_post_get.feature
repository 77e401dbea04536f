@spec.mod_invoice_reconciliation.receiver @checklist.IR-02 @version.2.3.0
Feature: A record POSTed to the Invoice Reconciliation Receiver is stored as sent
  The issuer of an invoice (here a CPO, direct billing) POSTs a record naming the CDRs the invoice
  covers to the counterparty's Receiver, and reads it back at {url}/{country_code}/{party_id}/{id}.
  The harness writes under its CPO identity's party id; against a hub the record is addressed to
  the harness's own eMSP identity.

  @id.invoicereconciliation.receiver-post-get @shall @role.any
  Scenario: A new record POSTed is returned unchanged by GET
    Given the harness plays a CPO towards the target's invoicereconciliation Receiver
    When the harness POSTs a new invoice reconciliation record under its own party id
    Then the target accepts the write
    And a GET of the record returns what was sent, its cdrs list exactly
