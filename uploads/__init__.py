"""Bulk upload: many UBL-TR XML files, a ZIP of them or an Excel sheet, issued one by one in the
background down the same way as the API's invoices (``services``, ``tasks``)."""
