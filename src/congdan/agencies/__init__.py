"""Agencies that act on reports: city departments, companies, police, and each unit's People's Committee."""
