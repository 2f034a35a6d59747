"""Human handoff, Rasa-free: tickets in the account store, queue position, service hours, wording."""
from .hours import ServiceInfo, load_service_info
from .messages import handoff_text, pending_notice
from .tickets import (
                      TicketNotFound,
                      TicketRequest,
                      close_ticket,
                      get_ticket,
                      list_tickets,
                      open_ticket,
                      open_ticket_for,
                      queue_position,
)

__all__ = ["ServiceInfo", "load_service_info", "handoff_text", "pending_notice", "TicketNotFound", "TicketRequest",
           "close_ticket", "get_ticket", "list_tickets", "open_ticket",
           "open_ticket_for", "queue_position"]
