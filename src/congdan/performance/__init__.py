"""How each agency did in a month of the 1022 calendar: counts, deadlines, replies, ratings."""
