"""The SOC's review of Temporary Access Pass sign-ins: verdicts and their history, the review page,
the alert for flagged sign-ins nobody reviewed, and the optional shipping to Microsoft Sentinel."""
