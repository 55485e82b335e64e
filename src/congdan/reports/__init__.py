"""Reports (phản ánh) and suggestions (góp ý, kiến nghị): the core of the product."""
