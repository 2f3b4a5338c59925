"""Extension instances only; ``create_app`` binds them to an app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from casetrack.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Rate limits are declared on the views that need them (no default limits). The client
# address is the request's remote address; behind a reverse proxy set
# CASETRACK_PROXY_COUNT so that it is the visitor's address, not the proxy's.
limiter = Limiter(key_func=get_remote_address)
