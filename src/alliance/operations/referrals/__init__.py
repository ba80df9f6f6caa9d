"""Lead referral (线索转介): a member refers a lead (a customer or a prospect partner) to another
member, with the customer's consent, an exclusivity window and a commission paid through settlement.

Pure logic only (core imports): the states and who moves them (`model`), duplicate leads by their
normalised name and contact (`leads`), the commission target with the hold-period claw-back
(`commission`) and the leaderboard (`leaderboard`). The use cases are `service`; the money is
booked by `alliance.settlement.bookings.referrals`.
"""
