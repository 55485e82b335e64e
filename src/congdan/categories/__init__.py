"""What a report is about: the categories, their deadlines, duplicate radius and default agency."""
