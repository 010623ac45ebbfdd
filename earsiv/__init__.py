"""e-Arşiv: cancellations, objections and the daily report to GİB."""
