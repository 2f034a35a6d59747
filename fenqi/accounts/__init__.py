"""Account store access: snapshots for the bot, YAML loading for operators and demos."""
from fenqi.accounts.errors import AccountsFileError, Problem
from fenqi.accounts.loader import load_accounts, load_accounts_file, load_accounts_text
from fenqi.accounts.repository import list_users, load_snapshot, user_exists
from fenqi.accounts.writer import LoadSummary

__all__ = ["AccountsFileError", "Problem", "LoadSummary", "load_accounts", "load_accounts_file",
           "load_accounts_text", "list_users", "load_snapshot", "user_exists"]
