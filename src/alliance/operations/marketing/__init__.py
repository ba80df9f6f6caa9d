"""Joint marketing campaigns (联合营销活动, issue 27): members run an event, a white paper, co-branding
or a promotion together, share its costs by agreed ratios through settlement, and see the revenue
attributed to it and each member's return on its cost share. Pure modules (`model`, `split`, `roi`,
`records`) and the service that does the I/O (`service`)."""
