"""HTML pages of the payments context: the citizen's wallet, sending money to a phone
number and paying a merchant by VietQR (``pages``), their forms and the header entry."""
