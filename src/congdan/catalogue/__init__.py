"""Administrative procedures residents carry out (thủ tục hành chính): what to bring, where, how long,
under which law. Each edit is a new version, so an application keeps the text it was filed under."""
