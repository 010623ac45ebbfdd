FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/var/lib/integrator
RUN useradd --system --home-dir /app integrator && mkdir -p /var/lib/integrator && chown integrator /var/lib/integrator
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret python manage.py collectstatic --noinput --verbosity 0
USER integrator
EXPOSE 8000
CMD ["gunicorn", "integrator.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
