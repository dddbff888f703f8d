export const JWT_SECRET = Symbol('JWT_SECRET');
export const JWT_SECRET_KEY = 'chat:jwt:secret';
export const USER_KEY_PREFIX = 'chat:user:';
